import crypto from 'node:crypto';
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
const k = crypto.createPrivateKey(pem);
console.log(k.asymmetricKeyType, k.asymmetricKeyDetails);
try { console.log(k.export({format:'der', type:'sec1'}).toString('hex')); } catch (e) { console.log('sec1 err', (e as Error).message); }
console.log(k.export({format:'der', type:'pkcs8'}).toString('hex'));
