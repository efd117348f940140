import { Module } from '@nestjs/common';

/** Chat / embeddings forwarding to model_list deployments: filled by the proxy issue. */
@Module({})
export class ProxyModule {}
