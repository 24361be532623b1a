// Which data `--data` selects and how the data settings shape it (app/run_setup.h's LoadTrainData).
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/run_setup.h"
#include "tests/support/test_images.h"
#include "tests/unit/temp_dir.h"

namespace strobe {
namespace {

constexpr char kFashionMnist[] = "/usr/share/datasets/fashion-mnist";

TrainConfig ConfigFor(const std::string& data_dir, const std::string& run_dir) {
  TrainConfig config;
  config.data.dir = data_dir;
  config.run.run_dir = run_dir;
  return config;
}

// An ImageNet layout: `split`/<class>/<n>.jpg for each class.
void WriteClassFolders(const testing::TempDir& root, const std::string& split, const std::vector<std::string>& classes,
                       int per_class) {
  const std::vector<uint8_t> jpeg = testing::EncodeJpeg(testing::JpegKind::kBaseline, 40, 30);
  for (const std::string& name : classes) {
    ASSERT_TRUE(MakeDirectories(root.Path(split + "/" + name)).ok());
    for (int i = 0; i < per_class; ++i) {
      testing::WriteFile(root.Path(split + "/" + name + "/" + std::to_string(i) + ".jpg"),
                         std::string(jpeg.begin(), jpeg.end()));
    }
  }
}

TEST(DataSourceTest, IdxFilesAreCutToTheRequestedSamples) {
  testing::TempDir run;
  TrainConfig config = ConfigFor(kFashionMnist, run.path());
  EXPECT_FALSE(IsImageFolderDataset(kFashionMnist));
  config.data.train_samples = 300;
  config.data.eval_samples = 70;
  absl::StatusOr<TrainData> data = LoadTrainData(config, 2);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 300);
  EXPECT_EQ(data->test->size(), 70);
  EXPECT_EQ(data->train->num_classes(), 10);
  EXPECT_EQ(data->train->channels(), 1);
}

TEST(DataSourceTest, ClassFoldersAreAnImageNetLayout) {
  testing::TempDir root;
  testing::TempDir run;
  WriteClassFolders(root, "train", {"cat", "dog", "eel"}, 4);
  WriteClassFolders(root, "val", {"cat", "dog", "eel"}, 2);
  EXPECT_TRUE(IsImageFolderDataset(root.path()));
  TrainConfig config = ConfigFor(root.path(), run.path());
  config.data.image_size = 16;
  config.data.val_resize = 20;
  absl::StatusOr<TrainData> data = LoadTrainData(config, 1);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train->size(), 12);
  EXPECT_EQ(data->test->size(), 6);
  EXPECT_EQ(data->train->num_classes(), 3);
  EXPECT_EQ(data->train->channels(), 3);
}

TEST(DataSourceTest, LayoutMistakesAreNamed) {
  testing::TempDir root;
  testing::TempDir run;
  WriteClassFolders(root, "train", {"cat", "dog"}, 2);
  WriteClassFolders(root, "val", {"cat", "emu"}, 1);
  TrainConfig config = ConfigFor(root.path(), run.path());
  EXPECT_EQ(LoadTrainData(config, 1).status().message(),
            root.path() + ": val/ and train/ hold different class folders (class 1: 'dog' in train/, 'emu' in val/); "
                          "they must name the same classes");

  config = ConfigFor(kFashionMnist, run.path());
  config.data.order = "streamed";
  EXPECT_EQ(LoadTrainData(config, 1).status().message(),
            std::string("--data_order=streamed reads WebDataset tar shards, and ") + kFashionMnist +
                " has none in train/ (use --data_order=shuffled)");
}

}  // namespace
}  // namespace strobe
