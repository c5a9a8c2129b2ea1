namespace CompareReport;

/// <summary>How the results were produced, quoted at the top of the report; the date and load averages as the harness recorded them.</summary>
internal sealed record RunContext(string Command, string? Sdk, string Date, bool Smoke, string Batching, string? LoadBefore, string? LoadAfter, MachineInfo Machine, string? DelayedBatching = null, int Rounds = 1, bool InlineScheduling = false);
