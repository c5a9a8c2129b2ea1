using System.Text.Json;

namespace Usher.Cli.Tests;

/// <summary>
/// The runtime settings <c>usher</c> starts with: <c>usher.runtimeconfig.json</c>, the file the
/// runtime reads when it starts the real program (the one <see cref="UsherProcess"/> runs).
/// </summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void ThreadPoolWorkers_SpinTheRuntimesDefault()
    {
        // A limit of 5 rounds put every worker to sleep between a fast client's sequential requests:
        // under wrk at concurrency 1, about a third of the default's throughput at more CPU per answer
        // (docs/benchmarks.md, "The thread pool's spin, back to the default").
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "usher.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out _), "usher.runtimeconfig.json sets a thread-pool spin limit");
    }

    [Fact]
    public void Tiering_CallCountingStartsAtOnce_AndQuickJitAndTieredPgoKeepTheirDefaults()
    {
        // The default 100 ms call-counting delay kept a fresh server's request path in tier-0 code through
        // its first thousands of requests; turning quick JIT and PGO off instead cost the warm path
        // (benchmarks/compare/coldstart.md, "Choosing the start-up configuration").
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "usher.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs", out var delay), "usher.runtimeconfig.json does not set the call-counting delay");
        Assert.Equal(0, delay.ValueKind == JsonValueKind.String ? int.Parse(delay.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : delay.GetInt32());
        Assert.False(properties.TryGetProperty("System.Runtime.TieredCompilation.QuickJit", out _), "quick JIT keeps the runtime's default");
        Assert.False(properties.TryGetProperty("System.Runtime.TieredPGO", out _), "tiered PGO keeps the runtime's default");
        Assert.False(properties.TryGetProperty("System.Runtime.TieredCompilation", out _), "tiered compilation stays on");
    }
}
