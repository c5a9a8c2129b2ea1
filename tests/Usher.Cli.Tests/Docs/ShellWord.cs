using System.Text;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// One word of a shell line as the shell would pass it (quotes removed), or an operator that ends a
/// simple command (<c>;</c>, <c>|</c>, <c>&amp;&amp;</c>, <c>&amp;</c>, a redirection, a comment).
/// </summary>
internal sealed record ShellWord(string Text, bool Quoted, bool IsOperator)
{
    /// <summary>
    /// Splits a line into words. A <c>|</c>, <c>&amp;</c> or <c>&amp;&amp;</c> is an operator only as a word of
    /// its own, so that a synopsis's <c>table|json</c> stays one word; <c>;</c> ends a command anywhere; a
    /// word that starts with <c>&gt;</c>, <c>&lt;</c> or <c>2&gt;</c> is a redirection, and a word that starts
    /// with <c>#</c> a comment that runs to the end of the line.
    /// </summary>
    public static List<ShellWord> Split(string line)
    {
        var words = new List<ShellWord>();
        var word = new StringBuilder();
        var quoted = false;
        var inWord = false;

        void End()
        {
            if (inWord)
            {
                var text = word.ToString();
                var op = !quoted
                    && (text is "|" or "||" or "&" or "&&" || text.StartsWith('>') || text.StartsWith('<') || text.StartsWith("2>", StringComparison.Ordinal));
                words.Add(new ShellWord(text, quoted, op));
            }

            word.Clear();
            quoted = false;
            inWord = false;
        }

        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c is '\'' or '"')
            {
                var close = line.IndexOf(c, i + 1);
                if (close < 0)
                {
                    close = line.Length;
                }

                word.Append(line, i + 1, close - i - 1);
                quoted = true;
                inWord = true;
                i = close;
            }
            else if (char.IsWhiteSpace(c))
            {
                End();
            }
            else if (c == ';')
            {
                End();
                words.Add(new ShellWord(";", Quoted: false, IsOperator: true));
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        End();
        return words;
    }
}
