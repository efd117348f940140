import { Global, Module } from '@nestjs/common';
import { CALL_ACCOUNTING, type Admission, type CallAccounting } from '../proxy/call-accounting';
import { KEY_LOOKUP } from './key-record';
import { KeysRepository } from './keys.repository';

// Interim wiring (the keys issue replaces it): lookups go straight to the repository, and accounting admits all.
const admitAll: CallAccounting = {
  admit: (): Admission => ({ done: () => undefined }),
  allowedModels: () => null,
};

@Global()
@Module({
  providers: [KeysRepository, { provide: KEY_LOOKUP, useExisting: KeysRepository }, { provide: CALL_ACCOUNTING, useValue: admitAll }],
  exports: [KEY_LOOKUP, CALL_ACCOUNTING, KeysRepository],
})
export class KeysModule {}
