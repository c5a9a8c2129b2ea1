using System.Text.RegularExpressions;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// A fenced block of a Markdown file: where its text starts (1-based line of its first line), its
/// info string (<c>yaml</c>, <c>json</c>, or empty), its text, and the last line of prose before it.
/// </summary>
internal sealed partial record DocFence(string File, int Line, string Info, string Text, string Before)
{
    /// <summary>Every fenced block of the file at <paramref name="relativePath"/> under <paramref name="root"/>.</summary>
    public static IEnumerable<DocFence> Read(string root, string relativePath)
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(root, relativePath));
        var before = string.Empty;
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Opening().Match(lines[i]);
            if (!open.Success)
            {
                if (lines[i].Trim().Length > 0)
                {
                    before = lines[i].Trim();
                }

                continue;
            }

            var indent = open.Groups["indent"].Value.Length;
            var start = i + 1;
            var end = start;
            while (end < lines.Length && !Closing().IsMatch(lines[end]))
            {
                end++;
            }

            // An indented fence (inside a list item) has its text indented as much.
            var text = string.Join('\n', lines[start..end].Select(l => l.Length >= indent && l[..indent].Trim().Length == 0 ? l[indent..] : l));
            yield return new DocFence(relativePath, start + 1, open.Groups["info"].Value, text, before);
            before = string.Empty;
            i = end;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}";

    [GeneratedRegex(@"^(?<indent>\s*)```(?<info>\S*)\s*$")]
    private static partial Regex Opening();

    [GeneratedRegex(@"^\s*```\s*$")]
    private static partial Regex Closing();
}
