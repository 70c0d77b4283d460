import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causeFromAlertNumber, causeFromOpensslReason, causeFromTlsError, CLOSED_DURING_HANDSHAKE } from './handshake-observation.js';

const err = (code: string, message = '') => Object.assign(new Error(message), { code });

test('Node TLS errors map to alert and error causes', () => {
  assert.equal(causeFromTlsError(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')), 'alert:unknown_ca');
  assert.equal(causeFromTlsError(err('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')), 'alert:bad_certificate');
  assert.equal(causeFromTlsError(err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN')), 'alert:certificate_unknown');
  assert.equal(causeFromTlsError(err('ERR_SSL_X', 'error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48')), 'alert:unknown_ca');
  assert.equal(causeFromTlsError(err('ECONNRESET', 'socket hang up')), CLOSED_DURING_HANDSHAKE);
  assert.equal(causeFromTlsError(err('ECONNRESET', 'read ECONNRESET')), 'error:ECONNRESET');
  assert.equal(causeFromTlsError(err('ERR_SSL_NO_SHARED_CIPHER')), 'error:ERR_SSL_NO_SHARED_CIPHER');
  assert.equal(causeFromTlsError(new Error('no code')), 'error:unknown');
});

test('alert numbers and OpenSSL reason strings (as proxies log them) map to the same names', () => {
  assert.equal(causeFromAlertNumber(48), 'alert:unknown_ca');
  assert.equal(causeFromAlertNumber(46), 'alert:certificate_unknown');
  assert.equal(causeFromAlertNumber(200), 'alert:unknown_200');
  assert.equal(causeFromOpensslReason('tlsv1 alert unknown ca'), 'alert:unknown_ca');
  assert.equal(causeFromOpensslReason('sslv3 alert certificate unknown'), 'alert:certificate_unknown');
  assert.equal(causeFromOpensslReason('sslv3 alert bad certificate'), 'alert:bad_certificate');
  assert.equal(causeFromOpensslReason('no shared cipher'), 'error:ERR_SSL_NO_SHARED_CIPHER');
});
