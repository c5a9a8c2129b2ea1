namespace Usher.Cli.Admin;

/// <summary>
/// What a client command takes from outside the command line: the HTTP handler it sends through, the
/// environment variables it reads, and the clock it shows times against. Tests pass fakes.
/// </summary>
/// <param name="CreateHandler">Makes the handler of one command's <see cref="HttpClient"/>.</param>
/// <param name="GetVariable">Reads an environment variable; null when unset.</param>
/// <param name="Time">The clock "next decision in 45s" is counted from.</param>
internal sealed record ClientEnvironment(Func<HttpMessageHandler> CreateHandler, Func<string, string?> GetVariable, TimeProvider Time)
{
    /// <summary>Real sockets, the process's environment, the system clock.</summary>
    public static ClientEnvironment Default { get; } = new(
        () => new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) },
        Environment.GetEnvironmentVariable,
        TimeProvider.System);
}
