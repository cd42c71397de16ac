// The H5 face flow and the App SDKs: `startFace`, `startSdk` and the callback.

/** Input of `client.startFace`. */
export interface StartFaceInput extends CallContextOptions {
  /** Your id for the user: ASCII letters and digits only; at most 30 (a NONCE ticket follows). Hash an e-mail address or a UUID first. */
  userId: string;
  /** The person's name as on the ID card. Required unless `sourcePhoto` is given. */
  name?: string;
  /** The person's ID number (ASCII letters and digits, at most 32). Required unless `sourcePhoto` is given. */
  idNo?: string;
  /** Where the face page sends the user back (`https://`, or `http://` on localhost). */
  callbackUrl: string;
  /** 1 to 32 ASCII letters or digits; generated (32 characters) when absent. */
  orderNo?: string;
  /** Your own comparison photo: JPEG, PNG or BMP, at most 500 KB; bytes or base64. With it, `name` and `idNo` may be left out. */
  sourcePhoto?: Uint8Array | string;
  /** `"1"` watermarked photo (水纹正脸照), `"2"` (default) high-definition photo (高清正脸照). */
  sourcePhotoType?: "1" | "2";
  /** `"mobile"` (default): the phone face page `/api/web/login`; `"pc"`: the desktop face page `/api/pc/login` (which takes no `resultType`, `from` or `redirectType`). */
  device?: FaceDevice;
  /** `"1"`: real-time detection only; a browser that cannot do it comes back with code `3005`. Absent: real-time detection first, video recording where it is not supported. */
  liveInterType?: "1";
  /** `"1"` (default): the face page returns straight to `callbackUrl`. */
  resultType?: string;
  /** `"browser"` (default) or `"App"`. */
  from?: string;
  /** `"1"`: the face page replaces history entries instead of adding them. Absent by default. */
  redirectType?: string;
}

/** What `startFace` resolves to: send the user's browser to `url`. */
export interface StartFaceResult {
  orderNo: string;
  faceId: string;
  /** The signed URL of the face page. Single use (its NONCE ticket lives 120 s). */
  url: string;
  /** The host the service chose, or `null` when it gave none. */
  optimalDomain: string | null;
  /** The face page `url` opens. */
  device: FaceDevice;
  /** The face page's origin in `url`. */
  faceOrigin: string;
  /** Where `faceOrigin` came from: the service's `optimalDomain`; the client's `loginUrl`; or, when the service named no domain, the `kycUrl` (the default domain the start page names). */
  faceOriginFrom: "optimalDomain" | "loginUrl" | "kycUrl";
}

/** The mobile or the PC face page. */
export type FaceDevice = "mobile" | "pc";

/** Which App SDK `startSdk` makes start parameters for. */
export type SdkKind = "face" | "liveness" | "idCardOcr" | "bankCardOcr";

/** Input of `client.startSdk`. */
export interface StartSdkInput extends CallContextOptions {
  kind: SdkKind;
  /** Your id for the user: ASCII letters and digits only; at most 30 (a NONCE ticket follows). */
  userId: string;
  /** 1 to 32 ASCII letters or digits; generated (32 characters) when absent. */
  orderNo?: string;
  /** `kind: "face"` only: the person's name (or give `sourcePhoto`). */
  name?: string;
  /** `kind: "face"` only: the person's ID number (or give `sourcePhoto`). */
  idNo?: string;
  /** `kind: "face"` only: your own comparison photo, JPEG, PNG or BMP, at most 500 KB. */
  sourcePhoto?: Uint8Array | string;
  /** `kind: "face"` only: `"1"` watermarked, `"2"` (default) high-definition. */
  sourcePhotoType?: "1" | "2";
}

/** What an App SDK's start call takes (Android `InputData`: openApiAppId, agreementNo/orderNo, openApiUserId, openApiNonce, openApiAppVersion, openApiSign; iOS: appid, orderNo, userId, nonce, apiVersion, sign). Single use: the NONCE ticket behind `sign` lives 120 s. */
export interface SdkStartParams {
  appId: string;
  orderNo: string;
  userId: string;
  nonce: string;
  version: string;
  sign: string;
  /** The face SDK only: from `getAdvFaceId`, valid 5 minutes. */
  faceId?: string;
}

/** The callback's parameters, as an object. */
export interface CallbackParams {
  orderNo?: string;
  code?: string;
  /** The PC face page's name for the signature. */
  newSign?: string;
  /** The mobile face page's name for the signature. */
  newSignature?: string;
}

/**
 * What `verifyCallback` resolves to. It has no verdict: `code` is what the face page showed, and
 * the signature covers no time and no session. The verdict is `faceResult(orderNo)`.
 */
export interface CallbackVerdict {
  /** The signature verifies against the current SIGN ticket or the one before it. */
  valid: boolean;
  orderNo: string | null;
  /** What the face page showed (`"0"`: it showed success). Not a verdict. */
  code: string | null;
  /** What `code` means (the face page's own codes 3001–3005 and 300101 among them), when the callback verifies; otherwise `null`. */
  codeInfo: CodeInfo | null;
}
