namespace Usher.Cli.Admin;

/// <summary>Rows of text cells written as left-aligned columns separated by two spaces.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>The number of rows added, headers not counted.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds a row; a missing cell reads as empty.</summary>
    public void Add(params string[] cells) => _rows.Add(cells);

    /// <summary>Writes the headers (when given) and the rows, each line prefixed by <paramref name="indent"/>.</summary>
    public void WriteTo(TextWriter writer, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        var lines = headers.Length > 0 ? _rows.Prepend(headers).ToList() : _rows;
        var columns = lines.Count == 0 ? 0 : lines.Max(l => l.Length);
        var widths = new int[columns];
        foreach (var line in lines)
        {
            for (var i = 0; i < line.Length; i++)
            {
                widths[i] = Math.Max(widths[i], line[i].Length);
            }
        }

        foreach (var line in lines)
        {
            var cells = Enumerable.Range(0, columns).Select(i => i < line.Length ? line[i] : "");
            var text = string.Join("  ", cells.Select((cell, i) => i == columns - 1 ? cell : cell.PadRight(widths[i])));
            writer.WriteLine(indent + text.TrimEnd());
        }
    }
}
