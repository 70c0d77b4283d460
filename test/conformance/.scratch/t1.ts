import 'reflect-metadata';
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { readFileSync } from 'node:fs';
const d = JSON.parse(readFileSync('/tmp/limbo.json','utf8'));
const pems: string[] = [];
for (const t of d.testcases) { pems.push(t.peer_certificate, ...t.trusted_certs, ...t.untrusted_intermediates); }
const ders = pems.map(p => Buffer.from(p.replace(/-----[^-]+-----/g,'').replace(/\s+/g,''), 'base64'));
console.log(ders.length);
let t0 = performance.now(); let fails = 0;
for (const der of ders) { try { const c = AsnParser.parse(der, Certificate); if (!c.tbsCertificateRaw) throw new Error('noraw'); } catch (e) { fails++; if (fails<5) console.log(String(e).slice(0,200)); } }
console.log('parse ms', performance.now()-t0, 'fails', fails);
const c = AsnParser.parse(ders[0], Certificate);
console.log(c.tbsCertificate.subjectPublicKeyInfo.algorithm, c.signatureAlgorithm, c.tbsCertificate.extensions?.map(e=>[e.extnID,e.critical,e.extnValue.byteLength]));
const algs: Record<string, number> = {};
for (const der of ders.slice(200)) { try { const c = AsnParser.parse(der, Certificate); const k=c.signatureAlgorithm.algorithm+' '+c.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm; algs[k]=(algs[k]||0)+1;} catch{} }
console.log(algs);
