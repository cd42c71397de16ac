// The face flow's memory: every faceId getAdvFaceId handed out (with the
// order, user and identity it was started for), the face-page sessions opened
// by a successful login (mobile or PC), and each face check's outcome (from the
// face page, or from an SDK start). The result queries of an order started this
// way answer from here (see resultFor). Times come from the simulator's clock.
import { randomAlnum } from "./util.mjs";
import { randomBytes } from "node:crypto";

/** The code a failed face check ends with: liveness failed (the video is not of a live person). */
export const FACE_FAIL_CODE = "400604";
/** The code of a result query for an order whose face check has not finished yet: no result. */
export const NO_RESULT_CODE = "66660011";
/** How long a face-page session may wait for its button (simulator clock). */
export const SESSION_TTL_MS = 10 * 60_000;

/**
 * The H5 front-end codes a face page can end with instead of a verdict (1007/114178, 启动 H5
 * 人脸核身, 2024-12-20; F/H5 接入/启动 H5 人脸核身.md lists 3001 and 3002 only, F/H5 接入/H5
 * 人脸核身结果跳转.md 300101). The callback carries the code; the face check itself never ran,
 * so it stays unfinished: the user may log in again ("重新进入") with a new NONCE ticket.
 */
export const FRONT_END_CODES = Object.freeze({
  3001: "该浏览器不支持视频录制 · the browser cannot record video",
  3002: "登录态异常，cookie参数缺失 · login state lost, cookie missing",
  3003: "人脸核身中途中断 · face verification interrupted",
  3004: "无摄像头权限 · no camera permission",
  3005: "该浏览器不支持实时检测模式 · the browser cannot do real-time detection",
  300101: "报文包体问题 · bad request body",
});
/** What a finished or front-end-ended face page may be asked to end with. */
export const OUTCOMES = Object.freeze(["pass", "fail", ...Object.keys(FRONT_END_CODES)]);

export class Faces {
  /** @param {() => number} now the simulator's clock */
  constructor(now) {
    this.now = now;
    this.reset();
  }

  reset() {
    /** @type {Map<string, FaceRecord>} faceId -> record, in start order */
    this.byId = new Map();
    /** @type {Map<string, { face: FaceRecord, url: string, expiresAt: number, usedAt: number|null }>} */
    this.sessions = new Map();
  }

  /**
   * Records a new face check (getAdvFaceId) and returns it; its faceId is 32 characters.
   * `name` and `idNo` are null when left out (allowed with a comparison photo); `liveInterType`
   * is the value given, or null.
   */
  start({ appId, orderNo, userId, name, idNo, sourcePhotoType, liveInterType }) {
    const face = {
      faceId: `wb${randomBytes(15).toString("hex")}`, appId, orderNo, userId, name: name || null, idNo: idNo || null,
      sourcePhoto: sourcePhotoType !== null, sourcePhotoType, liveInterType: liveInterType ?? null, startedAt: this.now(),
      device: null, finished: false, outcome: null, code: null, liveMode: null, finishedAt: null,
    };
    this.byId.set(face.faceId, face);
    return face;
  }

  /** The record of `faceId`, or undefined. */
  get(faceId) {
    return this.byId.get(faceId);
  }

  /**
   * A new single-use session for the face page of `face` on `device` ("mobile" | "pc"), ending
   * at `url`; returns its id. The face record's `device` becomes the newest login's.
   */
  openSession(face, url, device) {
    const id = randomAlnum(32);
    face.device = device;
    this.sessions.set(id, { face, url, device, expiresAt: this.now() + SESSION_TTL_MS, usedAt: null });
    return id;
  }

  /**
   * Uses up the session `id`: { session }, or { problem, session? } when it is
   * unknown, used, expired, or its face check already finished (a refusal spends nothing).
   */
  takeSession(id) {
    const session = this.sessions.get(id);
    if (!session) return { problem: "session unknown (never opened, or opened before a reset)" };
    const refused = (problem) => ({ problem, session });
    if (session.usedAt !== null) return refused("session already used (each face page finishes once)");
    if (this.now() >= session.expiresAt) return refused(`session expired (${SESSION_TTL_MS / 60_000} minutes after the login)`);
    if (session.face.finished) return refused("this faceId's face check has already finished (through another session)");
    session.usedAt = this.now();
    return { session };
  }

  /**
   * Ends the face check of `face` with `outcome` ("pass" | "fail") and `code`; `liveMode`:
   * "realtime", or "video" when the browser fell back to video recording (liveInterType not "1").
   */
  finish(face, outcome, code, liveMode = "realtime") {
    Object.assign(face, { finished: true, outcome, code, liveMode, finishedAt: this.now() });
  }

  /** A face page ended with a front-end code: the callback carries it, the face check stays unfinished. */
  endPage(face, code) {
    face.code = code;
  }

  /**
   * What the face result queries of `orderNo` answer: null when no face check
   * was started for it (the order's scenario alone decides), else the newest
   * finished face check of the order ({ face }), or { face: null } when none
   * has finished yet.
   */
  resultFor(orderNo) {
    let started = false;
    let latest = null;
    for (const f of this.byId.values()) {
      if (f.orderNo !== orderNo) continue;
      started = true;
      if (f.finished && (latest === null || f.finishedAt >= latest.finishedAt)) latest = f;
    }
    return started ? { face: latest } : null;
  }

  /**
   * Every face check, oldest first, without identity data: { faceId, orderNo, userId, finished,
   * outcome, code, device, liveInterType, liveMode }.
   */
  list() {
    return [...this.byId.values()].map(({ faceId, orderNo, userId, finished, outcome, code, device, liveInterType, liveMode }) => (
      { faceId, orderNo, userId, finished, outcome, code, device, liveInterType, liveMode }
    ));
  }
}

/**
 * @typedef {{ faceId: string, appId: string, orderNo: string, userId: string, name: string|null, idNo: string|null,
 *   sourcePhoto: boolean, sourcePhotoType: string|null, liveInterType: string|null, startedAt: number,
 *   device: "mobile"|"pc"|"app"|null, finished: boolean, outcome: "pass"|"fail"|null,
 *   code: string|null, liveMode: "realtime"|"video"|null, finishedAt: number|null }} FaceRecord
 *   `device`: where the newest login (or the SDK start: "app") happened; `code`: the newest callback's
 *   code (a front-end code leaves `finished` false); `liveMode`: how the finished check captured the face.
 */
