namespace Usher.Core.Tests.Telemetry;

/// <summary>
/// Tests that listen to Usher's spans. A listener is process-wide: while one listens, every
/// other test's requests would build spans too (and the allocation budgets would count them), so
/// these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Usher spans";
}
