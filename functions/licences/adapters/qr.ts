import QRCode from 'qrcode';

/** A PNG QR code (error correction M, as printed licences use) of the licence's short verify URL. */
export const qrPng = (text: string): Promise<Buffer> =>
  QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
