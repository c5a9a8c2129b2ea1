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
}
