import 'reflect-metadata';
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { readFileSync } from 'node:fs';
const d = JSON.parse(readFileSync('/tmp/limbo.json','utf8'));
const t = d.testcases.find((t: any) => t.id === 'bettertls::nameconstraints::tc100');
const der = Buffer.from(t.peer_certificate.replace(/-----[^-]+-----/g,'').replace(/\s+/g,''), 'base64');
console.log(der.length);
for (let r = 0; r < 3; r++) { let t0 = performance.now(); for (let i = 0; i < 2000; i++) AsnParser.parse(der, Certificate); console.log('per parse ms', (performance.now()-t0)/2000); }
const uniq = new Set<string>(); let total=0;
for (const t of d.testcases) for (const p of [t.peer_certificate, ...t.trusted_certs, ...t.untrusted_intermediates]) { uniq.add(p); total++; }
console.log('unique', uniq.size, 'total', total);
