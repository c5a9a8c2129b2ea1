using System.Buffers.Binary;
using System.Text;

namespace Usher.Gateway.Routing;

/// <summary>
/// The model name and version in the first message of an <c>inference.GRPCInferenceService</c> call.
/// Every request message that names a model (ModelInferRequest, ModelReadyRequest,
/// ModelMetadataRequest, ModelStatisticsRequest) has it as field 1 and the version as field 2, both
/// strings, and protobuf writers put them first; only the first bytes of the body are read.
/// </summary>
internal static class GrpcModelName
{
    /// <summary>Bytes of the body read to find the name: the 5-byte frame header, and names are short.</summary>
    public const int PrefixBytes = 1024;

    /// <summary>
    /// Parses <paramref name="prefix"/>, the first bytes of a gRPC request body. Returns false when
    /// the message is compressed or the fields do not fit in the prefix; then the name is unknown.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> prefix, out string? model, out string? version)
    {
        model = null;
        version = null;
        if (prefix.Length < 5 || prefix[0] != 0)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix.Slice(1, 4));
        var message = prefix[5..];
        if (length < message.Length)
        {
            message = message[..(int)length];
        }

        while (!message.IsEmpty)
        {
            if (!TryReadVarint(ref message, out var tag))
            {
                return false;
            }

            var field = tag >> 3;
            if (field > 2 || (tag & 7) != 2)
            {
                // Past the fields that name the model: what was found is all there is.
                return model is not null;
            }

            if (!TryReadVarint(ref message, out var size) || size > (ulong)message.Length)
            {
                return false;
            }

            var text = Encoding.UTF8.GetString(message[..(int)size]);
            message = message[(int)size..];
            if (field == 1)
            {
                model = text;
            }
            else
            {
                version = text;
            }
        }

        return model is not null;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> data, out ulong value)
    {
        value = 0;
        for (var i = 0; i < 10 && i < data.Length; i++)
        {
            value |= (ulong)(data[i] & 0x7F) << (7 * i);
            if ((data[i] & 0x80) == 0)
            {
                data = data[(i + 1)..];
                return true;
            }
        }

        return false;
    }
}
