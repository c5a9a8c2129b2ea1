using System.Buffers;
using System.Text;

namespace Usher.Cli.Batch;

/// <summary>RFC 4180 quoting for CSV cells written as UTF-8.</summary>
internal static class CsvText
{
    /// <summary>Writes <paramref name="text"/>, quoted when it holds a comma, quote or line break.</summary>
    public static void WriteCell(IBufferWriter<byte> output, string text)
    {
        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            Encoding.UTF8.GetBytes(text, output);
            return;
        }

        Encoding.UTF8.GetBytes("\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"", output);
    }

    /// <summary>Writes one byte (a separator or a newline).</summary>
    public static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    /// <summary>A header line for <paramref name="columns"/>.</summary>
    public static byte[] Header(IEnumerable<string> columns)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var first = true;
        foreach (var column in columns)
        {
            if (!first)
            {
                WriteByte(buffer, (byte)',');
            }

            WriteCell(buffer, column);
            first = false;
        }

        WriteByte(buffer, (byte)'\n');
        return buffer.WrittenSpan.ToArray();
    }
}
