using System.CommandLine;
using System.Text.RegularExpressions;
using Usher.Cli.Commands;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// Checks a doc's <c>usher</c> command line against the real command tree
/// (<see cref="UsherRootCommand.Create"/>). A concrete line is parsed and must have no parse error, except
/// one that names a placeholder the doc puts where a value goes (<c>V</c>, <c>ENDPOINT</c>, <c>&lt;model&gt;</c>,
/// <c>$f</c>). Every line is also walked, a synopsis or an inline mention only walked: each subcommand it
/// names (each of <c>a|b</c>) must exist, each flag must be an option of that subcommand (the parser
/// alone would take an unknown <c>--flag</c> as the value of an optional argument), and each of a flag's
/// <c>x|y</c> choices must parse as its value. A standalone <c>...</c> (more arguments) is dropped.
/// </summary>
internal static partial class DocCommandLineCheck
{
    /// <summary>What is wrong with the line, or null when it parses.</summary>
    public static string? Problem(DocCommandLine line)
    {
        var args = line.Args.Where(a => a.Text != "...").ToList();
        string?[] problems = line.Synopsis ? [WalkProblem(args)] : [ParseProblem(args), WalkProblem(args)];
        var found = problems.OfType<string>().ToList();
        return found.Count == 0 ? null : WhiteSpaceRegex().Replace(string.Join("; ", found), " ");
    }

    private static string? ParseProblem(List<ShellWord> args)
    {
        var parse = UsherRootCommand.Create().Parse(args.Select(a => a.Text).ToArray());
        var placeholders = args.Where(IsPlaceholder).Select(a => $"'{a.Text}'").ToList();
        var errors = parse.Errors
            .Select(e => e.Message)
            .Where(m => !placeholders.Exists(p => m.Contains(p, StringComparison.Ordinal)))
            .ToList();
        return errors.Count == 0 ? null : string.Join("; ", errors);
    }

    private static string? WalkProblem(List<ShellWord> args)
    {
        var root = UsherRootCommand.Create();
        var path = new List<string>();
        List<Command> commands = [root];
        var inherited = new Dictionary<string, Option>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var text = args[i].Quoted ? args[i].Text : args[i].Text.Trim('[', ']');
            if (text.Length == 0)
            {
                continue;
            }

            if (!args[i].Quoted && FlagRegex().IsMatch(text))
            {
                var name = text.Split('=')[0];
                var options = commands.Select(c => FindOption(c, name, inherited)).ToList();
                var missing = commands.Where((_, k) => options[k] is null).Select(c => Display(path, c)).ToList();
                var takesValue = !text.Contains('=') && i + 1 < args.Count && !FlagRegex().IsMatch(args[i + 1].Text.TrimStart('['));
                if (missing.Count > 0)
                {
                    // An unknown flag's arity is unknown: the word after it is taken as its value, not as a subcommand.
                    problems.Add($"'{string.Join("', '", missing)}' has no option '{name}'");
                    i += takesValue ? 1 : 0;
                    continue;
                }

                if (takesValue && options[0]!.Arity.MaximumNumberOfValues > 0)
                {
                    i++;
                    problems.AddRange(ChoiceProblems(path, commands, name, args[i]));
                }

                continue;
            }

            var alternatives = text.Split('|');
            var subcommands = commands
                .SelectMany(c => alternatives.Select(a => Subcommand(c, a)))
                .ToList();
            if (subcommands.TrueForAll(s => s is not null))
            {
                foreach (var option in commands.SelectMany(c => c.Options).Where(o => o.Recursive))
                {
                    foreach (var name in option.Aliases.Append(option.Name))
                    {
                        inherited[name] = option;
                    }
                }

                path.Add(text);
                commands = subcommands!;
                continue;
            }

            if (commands.TrueForAll(c => c.Arguments.Count == 0))
            {
                var unknown = alternatives.Where(a => commands.Exists(c => Subcommand(c, a) is null));
                problems.Add($"'{Display(path, commands[0])}' has no subcommand {string.Join(", ", unknown.Select(a => $"'{a}'"))}");
                break;
            }
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Each choice of <c>--flag a|b</c> (not a placeholder) parsed as the flag's value on every subcommand the synopsis names.</summary>
    private static IEnumerable<string> ChoiceProblems(List<string> path, List<Command> commands, string flag, ShellWord value)
    {
        var text = value.Text.Trim('[', ']');
        if (value.Quoted || !text.Contains('|'))
        {
            yield break;
        }

        foreach (var choice in text.Split('|').Where(c => c.Length > 0 && !IsPlaceholder(new ShellWord(c, Quoted: false, IsOperator: false))))
        {
            foreach (var command in commands)
            {
                var args = Display(path, command).Split(' ').Skip(1).Append(flag).Append(choice).ToArray();
                var errors = UsherRootCommand.Create().Parse(args).Errors
                    .Where(e => e.Message.Contains($"'{choice}'", StringComparison.Ordinal));
                foreach (var error in errors)
                {
                    yield return error.Message;
                }
            }
        }
    }

    private static Command? Subcommand(Command command, string name) =>
        command.Subcommands.FirstOrDefault(s => s.Name == name || s.Aliases.Contains(name));

    private static Option? FindOption(Command command, string name, Dictionary<string, Option> inherited) =>
        command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name)) ?? inherited.GetValueOrDefault(name);

    /// <summary><c>usher rollout pause</c> for <paramref name="command"/>, one of the subcommands the path's last word names.</summary>
    private static string Display(List<string> path, Command command) =>
        path.Count == 0 ? "usher" : "usher " + string.Join(' ', path.SkipLast(1).Append(command.Name));

    /// <summary>A value the doc leaves to the reader: <c>V</c>, <c>ENDPOINT</c>, <c>&lt;model&gt;</c>, <c>$f</c>, <c>part-$i.csv</c>.</summary>
    private static bool IsPlaceholder(ShellWord word) =>
        PlaceholderRegex().IsMatch(word.Text) || (word.Text.StartsWith('<') && word.Text.EndsWith('>')) || word.Text.Contains('$');

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpaceRegex();

    [GeneratedRegex(@"^--?[A-Za-z][A-Za-z0-9-]*(=.*)?$")]
    private static partial Regex FlagRegex();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*$")]
    private static partial Regex PlaceholderRegex();
}
