export declare function freePort(): Promise<number>;

export interface Child {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export declare function startChild(options: {
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<Child>;
