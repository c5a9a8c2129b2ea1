using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

/// <summary><c>server.memory_budget</c>: a size, or a percent of the container's cgroup memory limit (v2, else v1).</summary>
public sealed class MemoryBudgetSettingTests : IDisposable
{
    private readonly TempDirectory _cgroup = new();

    public void Dispose() => _cgroup.Dispose();

    [Theory]
    [InlineData("2GiB", 2L * 1024 * 1024 * 1024)]
    [InlineData("512MiB", 512L * 1024 * 1024)]
    [InlineData("10MB", 10_000_000L)]
    [InlineData("4096", 4096L)]
    public void ASize_IsItsBytes(string text, long expected)
        => Assert.Equal(expected, MemoryBudgetSetting.Resolve(text, _cgroup.Path, out _));

    [Fact]
    public void APercent_OfACgroupV2Limit_IsThatShareOfIt()
    {
        File.WriteAllText(_cgroup.Combine("memory.max"), "4294967296\n");
        Assert.Equal(2576980377L, MemoryBudgetSetting.Resolve("60%", _cgroup.Path, out var problem)); // floor(4 GiB x 0.6)
        Assert.Null(problem);
    }

    [Fact]
    public void APercent_OfACgroupV1Limit_IsThatShareOfIt()
    {
        File.WriteAllText(_cgroup.Combine("memory", "memory.limit_in_bytes"), "1073741824\n");
        Assert.Equal(536870912L, MemoryBudgetSetting.Resolve("50%", _cgroup.Path, out _));
    }

    [Theory]
    [InlineData("max\n", null)]
    [InlineData(null, "9223372036854771712\n")]
    [InlineData(null, null)]
    public void APercent_WithoutALimit_IsAProblemThatSaysSo(string? v2, string? v1)
    {
        if (v2 is not null)
        {
            File.WriteAllText(_cgroup.Combine("memory.max"), v2);
        }

        if (v1 is not null)
        {
            File.WriteAllText(_cgroup.Combine("memory", "memory.limit_in_bytes"), v1);
        }

        Assert.Null(MemoryBudgetSetting.Resolve("60%", _cgroup.Path, out var problem));
        Assert.StartsWith("server.memory_budget: '60%' is a percent of the container's memory limit, but there is none", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheValidator_ReportsABadBudgetAndABadTimeoutTogether()
    {
        var problems = new ServerOptions { MemoryBudget = "lots", ModelLoadTimeoutSeconds = 0, ModelMemoryFactor = 0.5, CgroupRoot = _cgroup.Path }.Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("server.memory_budget: expected a size such as 1GiB", StringComparison.Ordinal) && p.Contains("'lots'", StringComparison.Ordinal));
        Assert.Contains("server.model_load_timeout_seconds: expected at least 1, got 0", problems);
        Assert.Contains(problems, p => p.StartsWith("server.model_memory_factor: expected a number of at least 1", StringComparison.Ordinal));
        Assert.Contains(new ServerOptions { MemoryBudget = "150%", CgroupRoot = _cgroup.Path }.Validate(), p => p.Contains("at most 100%", StringComparison.Ordinal));
    }
}
