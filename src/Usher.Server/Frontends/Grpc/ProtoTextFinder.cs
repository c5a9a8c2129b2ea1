using System.Globalization;
using System.Text.Unicode;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Finds, in a message that failed to parse, the first string field whose bytes are not UTF-8, and
/// names it by its path (<c>inputs[1].name</c>, <c>parameters[0].value.string_param</c>). Runs only
/// after a failure. It follows the message's schema, so its recursion is as deep as the schema's
/// nesting (a few levels), whatever the bytes say.
/// </summary>
internal static class ProtoTextFinder
{
    /// <summary>The path of the first string field that is not UTF-8, or null when there is none (or the bytes are not a message).</summary>
    public static string? FindInvalidString(MessageDescriptor descriptor, byte[] message)
    {
        try
        {
            return Find(descriptor, new CodedInputStream(message), prefix: string.Empty);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static string? Find(MessageDescriptor descriptor, CodedInputStream input, string prefix)
    {
        var seen = new Dictionary<int, int>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = descriptor.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                || field.FieldType is not (FieldType.String or FieldType.Message))
            {
                input.SkipLastField();
                continue;
            }

            var index = seen.GetValueOrDefault(field.FieldNumber);
            seen[field.FieldNumber] = index + 1;
            var path = prefix + field.Name + (field.IsRepeated ? string.Create(CultureInfo.InvariantCulture, $"[{index}]") : string.Empty);
            var bytes = input.ReadBytes();
            if (field.FieldType == FieldType.String)
            {
                if (!Utf8.IsValid(bytes.Span))
                {
                    return path;
                }

                continue;
            }

            var inner = Find(field.MessageType, new CodedInputStream(bytes.ToByteArray()), path + ".");
            if (inner is not null)
            {
                return inner;
            }
        }

        return null;
    }
}
