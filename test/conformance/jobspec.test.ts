// jobspec.test.ts - runs Flux's jobspec corpus (../shared/conformance/flux-jobspec, see its README): one test per
// file, so a file dropped into a folder is picked up with no code change. Skips with one line when it is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../control/core/errors.ts';
import { describeJobspec, parseJobspecText, validateCanonicalJobspec, validateJobspecV1 } from '../../control/core/jobspec/index.ts';

/** Repository root + `/../shared/conformance/flux-jobspec`. */
const CORPUS = fileURLToPath(new URL('../../../shared/conformance/flux-jobspec/', import.meta.url));

/** A message that names what is wrong: `field.path: detail` (or `line L, column C: ...` for syntax errors). */
const NAMES_THE_PROBLEM = /^(\S+|line \d+, column \d+): \S.*/;

function files(dir: string): string[] {
  const path = `${CORPUS}${dir}`;
  return existsSync(path) ? readdirSync(path).filter((f) => /\.(ya?ml|json)$/.test(f)).sort() : [];
}

function read(dir: string, file: string): string {
  return readFileSync(`${CORPUS}${dir}/${file}`, 'utf8');
}

/** The error `fn` throws; fails the test if it throws nothing or throws something other than InvalidInputError. */
function rejection(fn: () => unknown): InvalidInputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(InvalidInputError);
  const err = caught as InvalidInputError;
  expect(err.message).toMatch(NAMES_THE_PROBLEM);
  return err;
}

if (!existsSync(CORPUS)) {
  console.log(`jobspec conformance: corpus not found at ${CORPUS}; skipping`);
  describe('jobspec conformance corpus', () => {
    it('is skipped: the corpus directory ../shared/conformance/flux-jobspec is absent', () => {
      expect(existsSync(CORPUS)).toBe(false);
    });
  });
} else {
  describe('valid_v1: jobspec version 1 (RFC 25)', () => {
    it.each(files('valid_v1'))('%s validates as V1 and as canonical', (file) => {
      const obj = parseJobspecText(read('valid_v1', file));
      const js = validateJobspecV1(obj);
      expect(describeJobspec(js).ntasks).toBeGreaterThan(0);
      expect(() => validateCanonicalJobspec(obj)).not.toThrow();
    });
  });

  describe('invalid_v1: rejected by the V1 validator', () => {
    it.each(files('invalid_v1'))('%s', (file) => {
      rejection(() => validateJobspecV1(parseJobspecText(read('invalid_v1', file))));
    });
  });

  describe('invalid: rejected as V1 and as canonical', () => {
    it.each(files('invalid'))('%s', (file) => {
      const text = read('invalid', file);
      rejection(() => validateJobspecV1(parseJobspecText(text)));
      rejection(() => validateCanonicalJobspec(parseJobspecText(text)));
    });
  });

  describe('valid: canonical jobspecs (RFC 14)', () => {
    it.each(files('valid'))('%s validates as canonical; V1 accepts or rejects it cleanly', (file) => {
      const obj = parseJobspecText(read('valid', file));
      expect(() => validateCanonicalJobspec(obj)).not.toThrow();
      try {
        describeJobspec(validateJobspecV1(obj));
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as Error).message).toMatch(NAMES_THE_PROBLEM);
      }
    });
  });
}
