// The H5 face flow's memory: every faceId getAdvFaceId handed out (with the
// order, user and identity it was started for), the face-page sessions opened
// by a successful login, and each face check's outcome. The result queries of
// an order started this way answer from here (see resultFor). Times come from
// the simulator's clock.
import { randomAlnum } from "./util.mjs";
import { randomBytes } from "node:crypto";

/** The code a failed face check ends with: liveness failed (the video is not of a live person). */
export const FACE_FAIL_CODE = "400604";
/** The code of a result query for an order whose face check has not finished yet: no result. */
export const NO_RESULT_CODE = "66660011";
/** How long a face-page session may wait for its button (simulator clock). */
export const SESSION_TTL_MS = 10 * 60_000;

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

  /** Records a new face check (getAdvFaceId) and returns it; its faceId is 32 characters. */
  start({ appId, orderNo, userId, name, idNo, sourcePhotoType }) {
    const face = {
      faceId: `wb${randomBytes(15).toString("hex")}`, appId, orderNo, userId, name, idNo,
      sourcePhoto: sourcePhotoType !== null, sourcePhotoType, startedAt: this.now(),
      finished: false, outcome: null, code: null, finishedAt: null,
    };
    this.byId.set(face.faceId, face);
    return face;
  }

  /** The record of `faceId`, or undefined. */
  get(faceId) {
    return this.byId.get(faceId);
  }

  /** A new single-use session for the face page of `face`, ending at `url`; returns its id. */
  openSession(face, url) {
    const id = randomAlnum(32);
    this.sessions.set(id, { face, url, expiresAt: this.now() + SESSION_TTL_MS, usedAt: null });
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

  /** Ends the face check of `face` with `outcome` ("pass" | "fail") and `code`. */
  finish(face, outcome, code) {
    Object.assign(face, { finished: true, outcome, code, finishedAt: this.now() });
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

  /** Every face check, oldest first, without identity data: { faceId, orderNo, userId, finished, outcome }. */
  list() {
    return [...this.byId.values()].map(({ faceId, orderNo, userId, finished, outcome }) => ({ faceId, orderNo, userId, finished, outcome }));
  }
}

/**
 * @typedef {{ faceId: string, appId: string, orderNo: string, userId: string, name: string, idNo: string,
 *   sourcePhoto: boolean, sourcePhotoType: string|null, startedAt: number, finished: boolean,
 *   outcome: "pass"|"fail"|null, code: string|null, finishedAt: number|null }} FaceRecord
 */
