namespace Usher.Cli.Admin;

/// <summary>Where a client command sends its requests, with which token, and how it prints the answer.</summary>
/// <param name="Server">The server's base URL, e.g. <c>http://127.0.0.1:8000</c>.</param>
/// <param name="Token">The admin token sent as <c>Authorization: Bearer</c>; null sends none.</param>
/// <param name="Output">Table or JSON.</param>
internal sealed record ClientOptions(Uri Server, string? Token, OutputFormat Output)
{
    /// <summary>The server <c>usher serve</c> listens on by default.</summary>
    public const string DefaultServer = "http://127.0.0.1:8000";

    /// <summary>The variable read when <c>--server</c> is not given.</summary>
    public const string ServerVariable = "USHER_SERVER";

    /// <summary>The variable read when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "USHER_TOKEN";

    /// <summary>
    /// The options from the flags, else the environment, else the defaults; null with a problem
    /// naming the flag when the URL is not an absolute http(s) URL.
    /// </summary>
    public static ClientOptions? Resolve(string? serverFlag, string? tokenFlag, OutputFormat output, Func<string, string?> getVariable, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var (text, source) = NonEmpty(serverFlag) is { } flag
            ? (flag, "--server")
            : NonEmpty(getVariable(ServerVariable)) is { } variable ? (variable, ServerVariable) : (DefaultServer, "the default server");
        var token = NonEmpty(tokenFlag) ?? NonEmpty(getVariable(TokenVariable));

        if (!Uri.TryCreate(text, UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            problem = $"{source}: expected an http:// or https:// URL such as {DefaultServer}, got '{text}'";
            return null;
        }

        problem = null;
        return new ClientOptions(server, token, output);
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
