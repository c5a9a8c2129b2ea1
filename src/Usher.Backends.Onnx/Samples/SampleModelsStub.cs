// TEMPORARY stub until the sample generator lands; removed on merge.
namespace Usher.Backends.Onnx.Samples;

public static class SampleModels
{
    public static void Generate(string repositoryDirectory, bool includeLarge, bool overwrite) => throw new NotImplementedException();
}
