// Plausible, deterministic person and card data for an order: the same order
// number always gives the same name, ID number, address and bank card, so
// every endpoint tells one consistent story about it. Invented data only.
import { seeded } from "./util.mjs";

const SURNAMES = [..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"];
const GIVEN_MALE = [..."伟强磊军洋勇杰涛明超刚华彬鹏辉建国志文海峰晨宇浩然思远嘉俊瑞博"];
const GIVEN_FEMALE = [..."芳娜秀英敏静丽艳娟兰霞桂玉萍红玲芬燕雪梅欣怡涵婷晓佳琪"];
const NATIONS = ["回", "满", "壮", "苗", "蒙古", "土家", "彝", "藏", "维吾尔", "朝鲜"];
// Area code, address prefix, issuing authority.
const REGIONS = [
  ["110105", "北京市朝阳区", "北京市公安局朝阳分局"],
  ["310104", "上海市徐汇区", "上海市公安局徐汇分局"],
  ["440305", "广东省深圳市南山区", "深圳市公安局南山分局"],
  ["440106", "广东省广州市天河区", "广州市公安局天河分局"],
  ["330106", "浙江省杭州市西湖区", "杭州市公安局西湖分局"],
  ["510107", "四川省成都市武侯区", "成都市公安局武侯区分局"],
  ["420106", "湖北省武汉市武昌区", "武汉市公安局武昌分局"],
  ["320102", "江苏省南京市玄武区", "南京市公安局玄武分局"],
];
const ROADS = ["建国路", "中山路", "人民路", "解放路", "和平街", "长江路", "科技园路", "文化路", "滨江大道", "东风路"];
// Debit card BINs of large banks, with their card lengths.
const BINS = [["622848", 19], ["621700", 19], ["622202", 19], ["621483", 16], ["621661", 19], ["622262", 19]];

/** The person behind `orderNo`: name, sex, nation, birth, address, idcard, authority, validDate. */
export function person(orderNo) {
  const r = seeded(`person:${orderNo}`);
  const [area, place, authority] = r.pick(REGIONS);
  const year = r.range(1960, 2004);
  const birth = `${year}${pad(r.range(1, 12))}${pad(r.range(1, 28))}`;
  const seq = r.digits(3);
  const base = area + birth + seq;
  const idcard = base + checkDigit(base);
  const sex = Number(seq[2]) % 2 === 1 ? "男" : "女";
  const given = sex === "男" ? GIVEN_MALE : GIVEN_FEMALE;
  const name = r.pick(SURNAMES) + r.pick(given) + (r.chance(0.7) ? r.pick(given) : "");
  const nation = r.chance(0.85) ? "汉" : r.pick(NATIONS);
  const address = `${place}${r.pick(ROADS)}${r.range(1, 399)}号${r.range(1, 30)}栋${r.range(1, 6)}单元${r.range(1, 32)}0${r.range(1, 4)}室`;
  // Issued between 2012 and 2023; valid 10 or 20 years, or 长期 (long term) past 46.
  const issued = r.range(Math.max(2012, year + 16), 2023);
  const from = `${issued}${pad(r.range(1, 12))}${pad(r.range(1, 28))}`;
  const age = issued - year;
  const validDate = `${from}-${age > 45 ? "长期" : String(issued + (age >= 26 ? 20 : 10)) + from.slice(4)}`;
  return { name, sex, nation, birth, address, idcard, authority, validDate };
}

/** The bank card behind `orderNo`: bankCardNo (Luhn-valid), bankCardValidDate (MM/yyyy). */
export function bankCard(orderNo) {
  const r = seeded(`card:${orderNo}`);
  const [bin, length] = r.pick(BINS);
  const body = bin + r.digits(length - bin.length - 1);
  return { bankCardNo: body + luhnDigit(body), bankCardValidDate: `${pad(r.range(1, 12))}/${r.range(2026, 2035)}` };
}

/** Per-order numbers for the OCR results: clarity 55..95 and a 32-hex ocrId. */
export function ocrExtras(orderNo) {
  const r = seeded(`ocr:${orderNo}`);
  return { clarity: String(r.range(55, 95)), ocrId: Array.from({ length: 32 }, () => r.int(16).toString(16)).join("") };
}

/** Seconds between the face capture and the order's first sight (30..300), stable per order. */
export function captureLead(orderNo) {
  return seeded(`time:${orderNo}`).range(30, 300);
}

const pad = (n) => String(n).padStart(2, "0");

/** GB 11643 check character of the first 17 digits. */
function checkDigit(d17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(d17[i]) * w[i];
  return "10X98765432"[s % 11];
}

/** Luhn check digit for `body`. */
function luhnDigit(body) {
  let s = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    s += d;
  }
  return String((10 - (s % 10)) % 10);
}
