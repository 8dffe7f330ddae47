import { canonicalBytes } from '../functions/licences/domain/seal.ts';
console.log(String(canonicalBytes({b:1,a:[1e21, 'x', {z:null,y:true}]})));
