// Which load errors mean "too few file descriptors": the shapes Node's ESM
// loader gives under a low RLIMIT_NOFILE, each from a real failure, against
// errors that mean something else.
import { join } from 'node:path';
import { fdLimitError, packageThere } from '../../cli/fd-limit.js';
import { EXIT_OSERR } from '../../core/exit-codes.js';
import { ROOT } from '../support.js';

const MODULES = join(ROOT, 'node_modules');

function notFound(missing: string, from = join(MODULES, 'ink', 'build', 'output.js')): Error {
  return Object.assign(new Error(`Cannot find package '${missing}' imported from ${from}`), { code: 'ERR_MODULE_NOT_FOUND' });
}

test('EMFILE: the limit', () => {
  const e = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  expect(fdLimitError(e)?.exitCode).toBe(EXIT_OSERR);
});

test('a module file that is there: the limit', () => {
  expect(fdLimitError(notFound(join(MODULES, 'ink', 'build', 'index.js')))?.message).toMatch(/^RLIMIT_NOFILE .* is too low: raise it with ulimit -n$/);
});

test('the index.js guessed for a scoped package whose exports name build/index.js: the limit', () => {
  // The resolver could not read the package.json, so it fell back to index.js.
  expect(fdLimitError(notFound(join(MODULES, '@alcalzone', 'ansi-tokenize', 'index.js')))?.exitCode).toBe(EXIT_OSERR);
  expect(fdLimitError(notFound(join(MODULES, 'react', 'nonesuch.js')))?.exitCode).toBe(EXIT_OSERR);
});

test('a package that is not installed, or a file outside node_modules: not the limit', () => {
  expect(fdLimitError(notFound(join(MODULES, 'no-such-package-here', 'index.js')))).toBeUndefined();
  expect(fdLimitError(notFound(join(MODULES, '@no-such-scope', 'x', 'index.js')))).toBeUndefined();
  expect(fdLimitError(notFound(join(ROOT, 'dist', 'no-such.js')))).toBeUndefined();
  expect(fdLimitError(new Error('something else'))).toBeUndefined();
  expect(fdLimitError(undefined)).toBeUndefined();
});

test('packageThere: the package directory nearest the file', () => {
  expect(packageThere(join(MODULES, 'ink', 'node_modules', 'nonesuch', 'a.js'))).toBe(false);
  expect(packageThere(join(MODULES, 'ink'))).toBe(true);
  expect(packageThere(join(MODULES, '@alcalzone'))).toBe(false); // a scope is not a package
});
