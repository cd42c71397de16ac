// The signing playground: the package's browser build, in this page, on the
// official vectors. No ticket of yours belongs in a page: these are the
// examples of the partner docs.
import init, { sign, signValues, nonce, FaceIdError } from "/pkg/browser.js";

const VECTORS = [
  {
    values: ["appId001", "aabc1457895464", "1.0.0",
      "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"],
    expected: "993D057C652D97FD90D5D298F2E5DC4B8D893CBC",
  },
  {
    values: ["IDAXXXXX", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", "1.0.0",
      "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"],
    expected: "D7606F1741DDCF90757DA924EDCF152A200AC7F0",
  },
];

const cell = (text, cls) => {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
};

await init();

const body = document.querySelector("#vectors tbody");
let passed = 0;
for (const { values, expected } of VECTORS) {
  const got = signValues(values);
  const ok = got === expected;
  passed += ok ? 1 : 0;
  const tr = document.createElement("tr");
  tr.append(cell(values.join("\n"), "values"), cell(expected, "hex"), cell(got, "hex"), cell(ok ? "✓" : "✗", ok ? "ok" : "bad"));
  body.append(tr);
}
document.body.dataset.vectors = `${passed}/${VECTORS.length}`;

const form = document.querySelector("#form");
const out = document.querySelector("#result");
form.nonce.value = nonce();
document.querySelector("#new-nonce").addEventListener("click", () => {
  form.nonce.value = nonce();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  try {
    out.className = "ok";
    out.textContent = `sign = ${sign(data)}`;
  } catch (e) {
    out.className = "bad";
    out.textContent = e instanceof FaceIdError ? `${e.code}: ${e.message}` : String(e);
  }
});
