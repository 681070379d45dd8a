#!/usr/bin/env node
'use strict';
// The noormme command line: inspect a database, generate TypeScript types.

const fs = require('node:fs');
const path = require('node:path');
const { NOORMME, NoormmeError } = require('..');

const USAGE = `Usage:
  noormme inspect <database> [--json]
      Prints the discovered schema: tables, columns with their JS types and
      value policies, keys, indexes and relation names.
  noormme generate-types <database> [--out noormme-env.d.ts] [--watch]
      Writes TypeScript declarations that type db.model(...) for this schema.
      --watch regenerates whenever the database's schema changes.
  noormme auth-schema [<database>] [--apply]
      Prints the Auth.js (NextAuth) tables' DDL, or creates them in <database>.`;

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json' || a === '--watch' || a === '--apply' || a === '--help' || a === '-h') args[a.replace(/^-+/, '')] = true;
    else if (a === '--out' || a === '-o') args.out = argv[++i];
    else if (a.startsWith('--out=')) args.out = a.slice(6);
    else if (a.startsWith('-')) throw new NoormmeError(`unknown option ${a}\n\n${USAGE}`, { code: 'CLI_USAGE' });
    else args._.push(a);
  }
  return args;
}

function openReadonly(file) {
  if (!file) throw new NoormmeError(`missing <database>\n\n${USAGE}`, { code: 'CLI_USAGE' });
  if (!fs.existsSync(file)) throw new NoormmeError(`${path.resolve(file)} does not exist`, { code: 'CLI_USAGE' });
  return new NOORMME({ database: file, readonly: true });
}

function describe(schema) {
  const lines = [];
  for (const t of schema.tables) {
    const flags = [t.kind, t.module, t.strict && 'STRICT', t.withoutRowid && 'WITHOUT ROWID', t.autoincrement && 'AUTOINCREMENT', !t.writable && 'read-only']
      .filter(Boolean)
      .join(', ');
    lines.push(`${t.name}  (${flags})`);
    if (t.identity) lines.push(`  identity: ${t.identity.join(', ')}`);
    for (const c of t.columns) {
      const bits = [
        c.declaredType || '(no type)',
        `→ ${c.jsType}`,
        c.policy !== c.affinity.toLowerCase() ? `[${c.policy}${c.storage ? ` ${c.storage.kind}` : ''}]` : '',
        c.primaryKey ? 'PK' : '',
        c.notNull ? 'NOT NULL' : '',
        c.unique ? 'UNIQUE' : '',
        c.default !== null ? `DEFAULT ${c.default}` : '',
        c.generated ? `GENERATED ${c.generated}` : '',
        c.note ? `(${c.note})` : '',
      ].filter(Boolean);
      lines.push(`  ${c.name}: ${bits.join(' ')}`);
    }
    for (const fk of t.foreignKeys) {
      lines.push(`  FK (${fk.columns.join(', ')}) → ${fk.target}(${fk.targetColumns.join(', ')}) ON DELETE ${fk.onDelete}`);
    }
    for (const i of t.indexes) {
      lines.push(`  index ${i.name}${i.unique ? ' UNIQUE' : ''}${i.partial ? ' partial' : ''} (${i.columns.map((c) => c ?? '<expr>').join(', ')})`);
    }
    for (const r of t.relations) {
      const via = r.through ? ` via ${r.through.table}` : '';
      lines.push(`  .${r.name}: ${r.kind.replace(/_/g, '-')} → ${r.target}${via} (reverse: ${r.relatedName})`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function generate(file, out) {
  const db = openReadonly(file);
  try {
    const text = db.generateTypes();
    fs.writeFileSync(out, text);
    return db.info().path;
  } finally {
    db.close();
  }
}

function schemaVersion(file) {
  const db = openReadonly(file);
  return db.query('PRAGMA schema_version').then(
    (rows) => {
      db.close();
      return rows[0].schema_version;
    },
    (err) => {
      db.close();
      throw err;
    },
  );
}

async function main(argv) {
  const args = parseArgs(argv);
  const [command, file] = args._;
  if (args.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === 'inspect') {
    const db = openReadonly(file);
    const schema = db.schema();
    db.close();
    console.log(args.json ? JSON.stringify(schema, null, 2) : describe(schema));
  } else if (command === 'generate-types') {
    const out = args.out ?? 'noormme-env.d.ts';
    const source = generate(file, out);
    console.log(`wrote ${out} (${source})`);
    if (args.watch) {
      let version = await schemaVersion(file);
      console.log('watching for schema changes (Ctrl-C to stop)');
      setInterval(async () => {
        const now = await schemaVersion(file).catch(() => version);
        if (now !== version) {
          version = now;
          generate(file, out);
          console.log(`schema changed: rewrote ${out}`);
        }
      }, 1000);
    }
  } else if (command === 'auth-schema') {
    const { AUTH_SCHEMA, applyAuthSchema } = require('../lib/adapters/auth');
    if (!args.apply) {
      process.stdout.write(AUTH_SCHEMA);
      return;
    }
    if (!file) throw new NoormmeError(`auth-schema --apply needs a <database>\n\n${USAGE}`, { code: 'CLI_USAGE' });
    const db = new NOORMME({ database: file });
    try {
      await applyAuthSchema(db);
    } finally {
      db.close();
    }
    console.log(`Auth.js tables are in ${db.shared.key.slice(3)}`);
  } else {
    throw new NoormmeError(`unknown command '${command}'\n\n${USAGE}`, { code: 'CLI_USAGE' });
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof NoormmeError ? `noormme: ${err.message}` : err);
  process.exit(1);
});
