using System.Text.Json;

namespace CompareReport;

/// <summary>One line of InProcessLimit: rows per second at one batch size.</summary>
internal sealed record InProcessPoint(string Model, int Batch, double RowsPerSecond, string Setup)
{
    public static InProcessPoint Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var r = document.RootElement;
        return new InProcessPoint(r.GetProperty("model").GetString()!, r.GetProperty("batch").GetInt32(), r.GetProperty("rows_per_second").GetDouble(), r.GetProperty("setup").GetString()!);
    }
}
