using System.Buffers;
using System.Globalization;
using System.Text;

namespace Usher.Cli.Batch;

/// <summary>The errors file: CSV <c>row,reason</c>, the row numbered from 1 among the input's data rows (a CSV header is not a row).</summary>
internal static class ErrorLines
{
    /// <summary>The errors file's header line.</summary>
    public static byte[] Header => "row,reason\n"u8.ToArray();

    /// <summary>One line per failed row of <paramref name="chunk"/>.</summary>
    public static byte[] Encode(RowChunk chunk)
    {
        if (chunk.ErrorCount == 0)
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>();
        for (var r = 0; r < chunk.Rows; r++)
        {
            if (chunk.Errors[r] is { } reason)
            {
                Encoding.UTF8.GetBytes((chunk.FirstRow + r + 1).ToString(CultureInfo.InvariantCulture), buffer);
                CsvText.WriteByte(buffer, (byte)',');
                CsvText.WriteCell(buffer, reason);
                CsvText.WriteByte(buffer, (byte)'\n');
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The first failed row's line (for the summary), or null.</summary>
    public static string? First(RowChunk chunk)
    {
        for (var r = 0; r < chunk.Rows; r++)
        {
            if (chunk.Errors[r] is { } reason)
            {
                return $"row {(chunk.FirstRow + r + 1).ToString(CultureInfo.InvariantCulture)}: {reason}";
            }
        }

        return null;
    }
}
