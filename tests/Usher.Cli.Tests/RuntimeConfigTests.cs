using System.Text.Json;

namespace Usher.Cli.Tests;

/// <summary>
/// The runtime settings <c>usher</c> starts with: <c>usher.runtimeconfig.json</c>, the file the
/// runtime reads when it starts the real program (the one <see cref="UsherProcess"/> runs).
/// </summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void ThreadPoolWorkers_SpinFiveRoundsBeforeBlocking_NotTheRuntimesDefault()
    {
        // The runtime's default is 70 rounds (doubled on Linux, half of them sched_yield); two idle
        // workers ran it after every lone request (docs/benchmarks.md, "Idle between sequential requests").
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "usher.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit), "usher.runtimeconfig.json sets no thread-pool spin limit");
        Assert.Equal(5, limit.GetInt32());
    }

    [Fact]
    public void Tiering_NoQuickJitAndNoTieredPgo_SoTheRequestPathNeverRunsTierZeroOrInstrumentedCode()
    {
        // With the runtime's defaults a fresh server ran its request path as tier-0 and instrumented
        // code through its first thousands of requests (benchmarks/compare/coldstart.md).
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "usher.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Runtime.TieredCompilation.QuickJit", out var quickJit), "usher.runtimeconfig.json does not set quick JIT");
        Assert.False(quickJit.GetBoolean());
        Assert.True(properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo), "usher.runtimeconfig.json does not set tiered PGO");
        Assert.False(pgo.GetBoolean());
        Assert.False(properties.TryGetProperty("System.Runtime.TieredCompilation", out _), "tiered compilation stays on: hot ReadyToRun code is still re-jitted at tier 1");
    }
}
