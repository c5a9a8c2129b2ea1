using System.Text.Json;
using Usher.Core.Models;

namespace Usher.Core.Tests.Models;

public sealed class RolloutSectionTests
{
    [Fact]
    public void Parse_RolloutSection_KeepsItAsJson_WithTypedScalars()
    {
        var config = ModelConfigParser.Parse(
            """
            rollout:
              strategy: canary
              canary: {steps: [50, 100], interval: 30s}
              analysis: {max_error_rate: 0.1, name: '42'}
            """,
            "config.yaml").GetConfigOrThrow();

        using var json = JsonDocument.Parse(config.RolloutJson!);
        var root = json.RootElement;
        Assert.Equal("canary", root.GetProperty("strategy").GetString());
        Assert.Equal([50, 100], root.GetProperty("canary").GetProperty("steps").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("30s", root.GetProperty("canary").GetProperty("interval").GetString());
        Assert.Equal(0.1, root.GetProperty("analysis").GetProperty("max_error_rate").GetDouble());
        Assert.Equal(JsonValueKind.String, root.GetProperty("analysis").GetProperty("name").ValueKind);
    }

    [Fact]
    public void Parse_WithoutRollout_HasNoRolloutJson()
        => Assert.Null(ModelConfigParser.Parse("max_batch_size: 8\n", "config.yaml").GetConfigOrThrow().RolloutJson);

    [Fact]
    public void Parse_RolloutThatIsNotAMapping_IsAnErrorNamingTheKey()
    {
        var result = ModelConfigParser.Parse("rollout: canary\n", "config.yaml");

        Assert.Contains(result.Errors, e => e.ToString().Contains("rollout", StringComparison.Ordinal) && e.ToString().Contains("expected a mapping", StringComparison.Ordinal));
    }
}
