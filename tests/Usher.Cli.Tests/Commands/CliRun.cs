using System.CommandLine;
using Microsoft.Extensions.Time.Testing;
using Usher.Cli.Admin;
using Usher.Cli.Commands;
using Usher.Cli.Tests.Admin;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// Runs the real <c>usher</c> command tree in-process, its client commands sending to a
/// <see cref="FakeAdminHandler"/> and reading only the given environment variables.
/// </summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>The clock of every run: 45 s before the next decision of <see cref="AdminSamples.CanaryStatus"/>.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 20, 1, 15, TimeSpan.Zero);

    public static async Task<CliRun> InvokeAsync(FakeAdminHandler handler, string[] args, IReadOnlyDictionary<string, string>? variables = null)
    {
        var environment = new ClientEnvironment(() => handler, name => variables?.GetValueOrDefault(name), new FakeTimeProvider(Now));
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await UsherRootCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, environment);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
