// passport-custom ships no types: the part the gateway uses.
declare module 'passport-custom' {
  import { Strategy as PassportStrategy } from 'passport-strategy';

  export type VerifiedCallback = (err: unknown, user?: unknown, info?: unknown) => void;
  export type VerifyCallback = (req: unknown, done: VerifiedCallback) => void;

  export class Strategy extends PassportStrategy {
    constructor(verify: VerifyCallback);
    name: string;
  }
}
