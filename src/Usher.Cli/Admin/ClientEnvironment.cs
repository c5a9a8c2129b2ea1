namespace Usher.Cli.Admin;

/// <summary>
/// What a client command takes from outside the command line: the HTTP handler it sends through and
/// the environment variables it reads. Tests pass a fake handler and their own variables.
/// </summary>
/// <param name="CreateHandler">Makes the handler of one command's <see cref="HttpClient"/>.</param>
/// <param name="GetVariable">Reads an environment variable; null when unset.</param>
internal sealed record ClientEnvironment(Func<HttpMessageHandler> CreateHandler, Func<string, string?> GetVariable)
{
    /// <summary>Real sockets and the process's environment.</summary>
    public static ClientEnvironment Default { get; } = new(
        () => new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) },
        Environment.GetEnvironmentVariable);
}
