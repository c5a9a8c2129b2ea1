using System.Text.RegularExpressions;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// Finds the <c>usher</c> command lines a Markdown doc shows. In a fenced block (shell, console, text or
/// unlabelled; not yaml, json, code): each line, its <c>\</c> continuations joined; where the block has
/// <c>$ </c> prompts only the prompted lines (the rest is output). A line may hold several commands
/// (<c>;</c>, <c>|</c>, <c>&amp;&amp;</c>, <c>for ...; do</c>); a command runs usher when, after its
/// <c>VAR=value</c> assignments and a <c>taskset</c>/<c>time</c>/<c>env</c> prefix, it starts with
/// <c>usher</c>, or when it holds <c>dotnet run --project src/Usher.Cli --</c>, <c>dotnet PATH/usher.dll</c>
/// or <c>dotnet $VAR</c> for a variable the doc sets to a usher.dll. The arguments end at the next
/// operator, redirection or comment. A line whose subcommand words end in a colon
/// (<c>usher batch: 12 rows ...</c>) is usher's own message, not a command.
/// Synopses, which are checked flag by flag rather than parsed: a line with brackets, <c>a|b</c>,
/// <c>&lt;x&gt;</c> or a standalone <c>...</c> (more arguments); outside fences, inline code that starts
/// with <c>usher </c>; and each row of a table headed <c>| Flag |</c>, as flags of the nearest command above.
/// </summary>
internal static partial class DocCommandLines
{
    private static readonly HashSet<string> ShellFences = ["", "bash", "sh", "shell", "console", "text"];

    /// <summary>README.md and docs/*.md under the repository root, in a stable order.</summary>
    public static IEnumerable<string> DocFiles(string root) =>
        new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));

    public static List<DocCommandLine> Read(string path, string displayName) =>
        Parse(File.ReadAllLines(path), displayName);

    public static List<DocCommandLine> Parse(IReadOnlyList<string> lines, string file)
    {
        var found = new List<DocCommandLine>();
        var variables = new HashSet<string>(StringComparer.Ordinal);
        string? fence = null;
        var block = new List<(int Line, string Text)>();
        var paragraph = new List<(int Line, string Text)>();
        var flagTable = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var fenceMatch = FenceRegex().Match(lines[i]);
            if (fence is null && (fenceMatch.Success || lines[i].Trim().Length == 0))
            {
                ReadMentions(paragraph, file, found);
                paragraph.Clear();
            }

            if (fenceMatch.Success)
            {
                if (fence is null)
                {
                    fence = fenceMatch.Groups[1].Value;
                    block.Clear();
                }
                else
                {
                    if (ShellFences.Contains(fence))
                    {
                        ReadBlock(block, file, variables, found);
                    }

                    fence = null;
                }
            }
            else if (fence is not null)
            {
                block.Add((i + 1, lines[i]));
            }
            else
            {
                paragraph.Add((i + 1, lines[i]));
                if (i == 0 || !lines[i - 1].StartsWith('|'))
                {
                    flagTable = FlagTableRegex().IsMatch(lines[i]);
                }
                else if (flagTable)
                {
                    ReadFlagRow(lines[i], i + 1, file, found);
                }
            }
        }

        ReadMentions(paragraph, file, found);
        return found;
    }

    /// <summary>
    /// A row of a flag table (<c>| `--input FILE`, `-i` | ... |</c> under <c>| Flag |</c>): the flags in its
    /// first cell, with their values (<c>`--mode int8\|fp16`</c> gives the choices), as a synopsis of the
    /// command the nearest usher command line above names (its words before the first flag).
    /// </summary>
    private static void ReadFlagRow(string row, int line, string file, List<DocCommandLine> found)
    {
        var match = FlagRowRegex().Match(row);
        var context = found.LastOrDefault();
        if (!match.Success || context is null)
        {
            return;
        }

        var command = context.Args.TakeWhile(a => !a.Text.StartsWith('-'));
        var flags = InlineCodeRegex().Matches(match.Groups[1].Value)
            .SelectMany(span => ShellWord.Split(span.Groups[1].Value.Replace("\\|", "|", StringComparison.Ordinal)))
            .Select(w => w with { Text = w.Text.TrimEnd(',') });
        found.Add(new DocCommandLine(file, line, row, [.. command, .. flags], Synopsis: true));
    }

    /// <summary>Inline code that starts with <c>usher </c> in a paragraph (a code span may wrap onto the next line).</summary>
    private static void ReadMentions(List<(int Line, string Text)> paragraph, string file, List<DocCommandLine> found)
    {
        if (paragraph.Count == 0)
        {
            return;
        }

        var text = string.Join('\n', paragraph.Select(p => p.Text));
        foreach (Match span in InlineRegex().Matches(text))
        {
            var words = ShellWord.Split(span.Groups[1].Value);
            if (!IsMessage(words))
            {
                var line = paragraph[0].Line + text.AsSpan(0, span.Index).Count('\n');
                found.Add(new DocCommandLine(file, line, span.Value.ReplaceLineEndings(" "), words, Synopsis: true));
            }
        }
    }

    private static void ReadBlock(List<(int Line, string Text)> block, string file, HashSet<string> variables, List<DocCommandLine> found)
    {
        var logical = JoinContinuations(block);
        var prompted = logical.Any(l => IsPrompted(l.Text));
        foreach (var (line, raw) in logical)
        {
            var text = raw.Trim();
            if (prompted)
            {
                if (!IsPrompted(text))
                {
                    continue;
                }

                text = text[1..].Trim();
            }

            var definition = VariableRegex().Match(text);
            if (definition.Success)
            {
                variables.Add(definition.Groups[1].Value);
            }

            var command = new List<ShellWord>();
            foreach (var word in ShellWord.Split(text).Append(new ShellWord(";", Quoted: false, IsOperator: true)))
            {
                if (!IsSeparator(word))
                {
                    command.Add(word);
                    continue;
                }

                // The command's words end at its first redirection; what follows is the redirection's target.
                var end = command.FindIndex(w => w.IsOperator);
                var args = UsherArgs(end < 0 ? command : command[..end], variables);
                if (args is not null && !IsMessage(args))
                {
                    found.Add(new DocCommandLine(file, line, text, args, IsSynopsis(args)));
                }

                command.Clear();
            }
        }
    }

    private static bool IsSeparator(ShellWord word) => word.IsOperator && word.Text is ";" or "|" or "||" or "&" or "&&";

    private static bool IsPrompted(string line) => line.TrimStart().StartsWith("$ ", StringComparison.Ordinal);

    /// <summary>Lines ending in <c>\</c> joined with the next; an indented <c>[</c> line joined to the synopsis above it.</summary>
    private static List<(int Line, string Text)> JoinContinuations(List<(int Line, string Text)> block)
    {
        var joined = new List<(int Line, string Text)>();
        var continues = false;
        foreach (var (line, text) in block)
        {
            var synopsisTail = joined.Count > 0 && text.StartsWith(' ') && text.TrimStart().StartsWith('[')
                && joined[^1].Text.TrimStart().StartsWith("usher ", StringComparison.Ordinal);
            if ((continues || synopsisTail) && joined.Count > 0)
            {
                joined[^1] = (joined[^1].Line, joined[^1].Text + " " + text.Trim());
            }
            else
            {
                joined.Add((line, text));
            }

            continues = joined[^1].Text.EndsWith('\\');
            if (continues)
            {
                joined[^1] = (joined[^1].Line, joined[^1].Text[..^1].TrimEnd());
            }
        }

        return joined;
    }

    /// <summary>The arguments after the usher binary in one simple command, or null when it does not run usher.</summary>
    private static List<ShellWord>? UsherArgs(List<ShellWord> command, HashSet<string> variables)
    {
        var i = 0;
        while (i < command.Count
            && (command[i].Text is "do" or "then" or "else" or "time" or "exec" or "env" || AssignmentRegex().IsMatch(command[i].Text)))
        {
            i++;
        }

        if (i + 2 < command.Count && command[i].Text == "taskset" && command[i + 1].Text == "-c")
        {
            i += 3;
        }

        if (i < command.Count && command[i].Text == "usher" && !command[i].Quoted)
        {
            return command[(i + 1)..];
        }

        for (var j = i; j + 1 < command.Count; j++)
        {
            if (command[j].Text != "dotnet" || command[j].Quoted)
            {
                continue;
            }

            var target = command[j + 1].Text;
            if (target.EndsWith("usher.dll", StringComparison.Ordinal) || (target.StartsWith('$') && variables.Contains(target.Trim('$', '{', '}'))))
            {
                return command[(j + 2)..];
            }

            if (target == "run" && j + 4 < command.Count && command[j + 2].Text == "--project"
                && command[j + 3].Text.TrimEnd('/') == "src/Usher.Cli" && command[j + 4].Text == "--")
            {
                return command[(j + 5)..];
            }
        }

        return null;
    }

    /// <summary><c>usher batch: 12 rows ...</c>: a subcommand word before any flag ends in a colon.</summary>
    private static bool IsMessage(List<ShellWord> args) =>
        args.TakeWhile(a => !a.Text.StartsWith('-')).Take(3).Any(a => a.Text.EndsWith(':'));

    private static bool IsSynopsis(List<ShellWord> args) =>
        args.Any(a => !a.Quoted
            && (a.Text == "..." || a.Text.IndexOfAny(['[', ']', '|']) >= 0 || (a.Text.StartsWith('<') && a.Text.EndsWith('>'))));

    [GeneratedRegex(@"^\s*```\s*([A-Za-z]*)")]
    private static partial Regex FenceRegex();

    [GeneratedRegex(@"^\|\s*(`-(?:[^|\\]|\\.)*)\|")]
    private static partial Regex FlagRowRegex();

    [GeneratedRegex(@"^\|\s*Flags?\s*\|")]
    private static partial Regex FlagTableRegex();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCodeRegex();

    [GeneratedRegex(@"`usher ([^`]+)`")]
    private static partial Regex InlineRegex();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)=\S*usher\.dll$")]
    private static partial Regex VariableRegex();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex AssignmentRegex();
}
