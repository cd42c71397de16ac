// What the benchmarks' two sides share, loaded unchanged by Node and, as a
// module of both Workers, by workerd: the simulator's App ID and SIGN ticket,
// the order-token key, the signed-in users the identity lookups know, and
// the headers of the handler's JSON answers (which the plain way sends too).

/** The App ID the benchmarks' simulator serves. */
export const APP_ID = "IDAbench01";

/** The simulator's fixed SIGN ticket. */
export const TICKET = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";

/** Signs the order tokens, on both sides. */
export const ORDER_TOKEN_KEY = "bench-order-token-key-0123456789abcdef";

/**
 * The users an `x-user` header names: alice, whose orders the benchmarks
 * read, and mallory, another signed-in user whose requests with alice's
 * order tokens both sides must refuse (403).
 */
export const USERS = {
  alice: { userId: "alice", name: "张三丰", idNo: "11010519491231002X" },
  mallory: { userId: "mallory", name: "李四", idNo: "110105194912310038" },
};

/** The headers of every JSON answer of the handler. */
export const HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  vary: "Origin",
  "content-type": "application/json; charset=utf-8",
};
