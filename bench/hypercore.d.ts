// hypercore ships no types; bench/ledger.ts declares the little it uses.
declare module 'hypercore';
