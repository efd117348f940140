import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'gateway:isPublic';

/** Marks a route as callable with no credential. Everything else is protected by the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
