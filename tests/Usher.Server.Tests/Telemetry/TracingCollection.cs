namespace Usher.Server.Tests.Telemetry;

/// <summary>
/// Tests whose server exports traces. Its tracer listens process-wide: while it runs, every other
/// test's server would build spans too (and the allocation budgets would count them), so these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Usher traces";
}
