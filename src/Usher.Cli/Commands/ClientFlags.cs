using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>
/// The flags every client command takes (<c>--server</c>, <c>--token</c>, and <c>--output</c> on
/// those that show state), and the one way those commands run a request and print its answer.
/// </summary>
internal sealed class ClientFlags
{
    // "As the server sent it": the default encoder would escape '+' in "+00:00" and every non-ASCII
    // letter, which is right for HTML and wrong for a terminal or jq.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Option<string?> _server = new("--server")
    {
        Description = $"The Usher server's URL. Default: ${ClientOptions.ServerVariable}, else {ClientOptions.DefaultServer}.",
        HelpName = "URL",
    };

    private readonly Option<string?> _token = new("--token")
    {
        Description = $"Admin token, sent as 'Authorization: Bearer TOKEN'. Default: ${ClientOptions.TokenVariable}.",
        HelpName = "TOKEN",
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "table: aligned text to read; json: the server's JSON, indented, for scripts.",
        HelpName = "table|json",
        DefaultValueFactory = _ => "table",
    };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public ClientFlags(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _output.AcceptOnlyFromAmong("table", "json");
        command.Add(_server);
        command.Add(_token);
        command.Add(_output);
    }

    /// <summary>
    /// Resolves the options, sends the request <paramref name="call"/> makes, and prints the answer:
    /// the table, or the JSON as the server sent it. Returns the exit code.
    /// </summary>
    public async Task<int> RunAsync(
        ParseResult parse,
        ClientEnvironment environment,
        Func<AdminClient, CancellationToken, Task<AdminResult>> call,
        Action<JsonElement, TextWriter> table,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(table);
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var format = parse.GetValue(_output) == "json" ? OutputFormat.Json : OutputFormat.Table;
        var options = ClientOptions.Resolve(parse.GetValue(_server), parse.GetValue(_token), format, environment.GetVariable, out var problem);
        if (options is null)
        {
            return Refuse(parse, [problem!]);
        }

        using var http = new HttpClient(environment.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        var result = await call(new AdminClient(http, options), cancellationToken).ConfigureAwait(false);
        if (result.Error is { } failure)
        {
            failure.WriteTo(error, CommandName(parse));
            return ExitCodes.Failure;
        }

        if (options.Output == OutputFormat.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(result.Body, Indented)).ConfigureAwait(false);
        }
        else
        {
            table(result.Body, output);
        }

        return ExitCodes.Success;
    }

    /// <summary>Prints every problem of a command line or spec together and returns the usage exit code.</summary>
    public static int Refuse(ParseResult parse, IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(problems);
        var error = parse.InvocationConfiguration.Error;
        var name = CommandName(parse);
        if (problems.Count == 1)
        {
            error.WriteLine($"{name}: {problems[0]}");
        }
        else
        {
            error.WriteLine($"{name}: {problems.Count} problems, nothing was sent:");
            foreach (var problem in problems)
            {
                error.WriteLine($"  - {problem}");
            }
        }

        return ExitCodes.BadSettings;
    }

    // "usher rollout promote": the names of the commands on the way to the one that runs.
    private static string CommandName(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command.Name);
        }

        names.Reverse();
        names[0] = "usher";
        return string.Join(' ', names);
    }
}
