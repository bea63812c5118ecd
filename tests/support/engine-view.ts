/**
 * The provider as the engine drives it: with whatever the program and the state hold, typed or not.
 * Tests call the provider's operations directly with hand-made properties (damaged, partial, 0.1.0's);
 * the provider's own types describe only well-formed ones.
 */
import * as typed from "../../provider/dynamic-provider";

type Props = Record<string, any>;

export interface EngineView {
    configure(req: { config: { get(key: string): string | undefined } }): Promise<void>;
    check(olds: Props, news: Props): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>;
    diff(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
    create(inputs: Props): Promise<{ id: string; outs: Props }>;
    read(id: string, props?: Props): Promise<{ id?: string; props?: Props }>;
    update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
    delete(id: string, props: Props): Promise<void>;
}

export const provider = typed as unknown as EngineView;
