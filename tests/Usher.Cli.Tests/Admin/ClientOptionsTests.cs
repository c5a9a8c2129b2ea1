using Usher.Cli.Admin;

namespace Usher.Cli.Tests.Admin;

public sealed class ClientOptionsTests
{
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["USHER_SERVER"] = "http://usher.internal:9000",
        ["USHER_TOKEN"] = "from-env",
    };

    [Fact]
    public void Resolve_FlagsOverTheEnvironment()
    {
        var options = ClientOptions.Resolve("http://10.0.0.5:8000", "from-flag", OutputFormat.Json, Variables.GetValueOrDefault, out var problem);

        Assert.Null(problem);
        Assert.Equal((new Uri("http://10.0.0.5:8000"), "from-flag", OutputFormat.Json), (options!.Server, options.Token, options.Output));
    }

    [Fact]
    public void Resolve_EnvironmentOverTheDefault()
    {
        var options = ClientOptions.Resolve(null, null, OutputFormat.Table, Variables.GetValueOrDefault, out _);

        Assert.Equal((new Uri("http://usher.internal:9000"), "from-env"), (options!.Server, options.Token));
    }

    [Fact]
    public void Resolve_NothingGiven_IsTheLocalServerWithoutToken()
    {
        var options = ClientOptions.Resolve(null, null, OutputFormat.Table, _ => null, out _);

        Assert.Equal((new Uri("http://127.0.0.1:8000"), null), (options!.Server, options.Token));
    }

    [Theory]
    [InlineData("127.0.0.1:8000")]
    [InlineData("ftp://host/")]
    [InlineData("not a url")]
    public void Resolve_NotAnHttpUrl_NamesTheFlagAndTheExpectedForm(string server)
    {
        var options = ClientOptions.Resolve(server, null, OutputFormat.Table, _ => null, out var problem);

        Assert.Null(options);
        Assert.Equal($"--server: expected an http:// or https:// URL such as http://127.0.0.1:8000, got '{server}'", problem);
    }
}
