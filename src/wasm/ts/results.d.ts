// The result payloads of the queries, as the service sends them.

/** Face verification result (`GET /api/server/sync`). Values stay as the service sends them. */
export interface FaceResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  idNo?: string;
  idType?: string;
  name?: string;
  liveRate?: string | number;
  similarity?: string | number;
  occurredTime?: string;
  /** Base64 JPG/PNG. */
  photo?: string;
  /** Base64 MP4. */
  video?: string;
  app_id?: string;
  order_no?: string;
  [field: string]: unknown;
}

/** Liveness result (`GET /api/server/getLiveResult`). */
export interface LiveResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  liveRate?: string | number;
  occurredTime?: string;
  photo?: string;
  video?: string;
  app_id?: string;
  [field: string]: unknown;
}

/** ID card OCR result (`GET /api/server/getOcrResult`). */
export interface IdCardOcrResult {
  frontCode?: string;
  backCode?: string;
  orderNo?: string;
  name?: string;
  sex?: string;
  nation?: string;
  birth?: string;
  address?: string;
  idcard?: string;
  validDate?: string;
  authority?: string;
  frontPhoto?: string;
  backPhoto?: string;
  frontCrop?: string;
  backCrop?: string;
  headPhoto?: string;
  frontWarnCode?: string;
  backWarnCode?: string;
  operateTime?: string;
  [field: string]: unknown;
}

/** Bank card OCR result (`GET /api/server/getBankCardOcrResult`). */
export interface BankCardOcrResult {
  orderNo?: string;
  bankCardNo?: string;
  bankCardValidDate?: string;
  bankcardCropPhoto?: string;
  bankcardNoPhoto?: string;
  /** The original image, as the current server-result pages spell it. */
  originBankcardPhoto?: string;
  /** The original image, as an older page spells it: both are read. */
  orginBankcardPhoto?: string;
  warnCode?: string;
  operateTime?: string;
  [field: string]: unknown;
}

/** ID card OCR from an image (`POST /api/paas/idcardocrapp`). */
export interface IdCardOcrResponse {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  ocrId?: string;
  name?: string;
  sex?: string;
  nation?: string;
  birth?: string;
  idcard?: string;
  address?: string;
  authority?: string;
  validDate?: string;
  /** 8-character bit string. */
  warning?: string;
  /** 8-character bit string. */
  multiWarning?: string;
  clarity?: string | number;
  retry?: string;
  sign?: string;
  [field: string]: unknown;
}

/** The newer face result query (`queryfacerecord`). */
export interface FaceRecordResult {
  orderNo?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  liveRate?: string | number;
  similarity?: string | number;
  occurredTime?: string;
  appId?: string;
  photo?: string;
  video?: string;
  [field: string]: unknown;
}
