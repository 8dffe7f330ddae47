import crypto from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';
const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
try { console.log(privateKey.export({format:'jwk'})); } catch (e) { console.log('jwk err', (e as Error).message); }
const der = privateKey.export({format:'der', type:'sec1'}); console.log(der.toString('hex'));
const spki = publicKey.export({format:'der', type:'spki'}); console.log(spki.length, spki.toString('hex'));
const pre = sm2.precomputePublicKey(sm2.generateKeyPairHex().publicKey, 8) as any;
console.log(Object.keys(pre.constructor), typeof pre.constructor.Fp, typeof pre.constructor.Fn, pre.constructor.CURVE?.n);
