using Usher.Core.Models;

namespace Usher.Core.Tests.Models;

/// <summary>Parses test YAML under the name <c>config.yaml</c>.</summary>
internal static class ConfigYaml
{
    public static ModelConfig Valid(string yaml)
    {
        var result = ModelConfigParser.Parse(yaml, "config.yaml");
        Assert.True(result.Succeeded, "unexpected errors:\n" + string.Join('\n', result.Errors));
        return result.Config;
    }

    public static IReadOnlyList<string> Errors(string yaml)
    {
        var result = ModelConfigParser.Parse(yaml, "config.yaml");
        Assert.False(result.Succeeded, "expected errors, but the config parsed");
        Assert.Null(result.Config);
        return [.. result.Errors.Select(e => e.ToString())];
    }

    public static string SingleError(string yaml) => Assert.Single(Errors(yaml));
}
