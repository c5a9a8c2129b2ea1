namespace CompareReport;

/// <summary>How the results were produced, quoted at the top of the report.</summary>
internal sealed record RunContext(string Command, string? Sdk, DateTimeOffset Date, bool Smoke, string Batching, string? LoadBefore, MachineInfo Machine);
