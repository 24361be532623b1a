"""ImageNet-like benchmark photos from real photographs shipped in Debian packages.

Usage: /usr/bin/python3 bench/make_photo_set.py SOURCE_DIR OUT_DIR [COUNT]
SOURCE_DIR holds the photographs (bench/jpeg_bench.sh extracts them from python3-skimage and
python-matplotlib-data). Each output is a 500x375 crop (different position and zoom per file) of one of them,
saved as a baseline JPEG at quality 90, like a typical ImageNet training image.
"""
import os
import random
import sys

from PIL import Image

PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "motorcycle_right.png",
          "rocket.jpg", "hubble_deep_field.jpg", "grace_hopper.jpg"]


def main():
    source, out = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    os.makedirs(out, exist_ok=True)
    rng = random.Random(0)
    photos = [Image.open(os.path.join(source, name)).convert("RGB") for name in PHOTOS]
    for i in range(count):
        photo = photos[i % len(photos)]
        # Scale so a 500x375 window fits, zoomed in by up to 1.6x, then take a random window.
        zoom = max(500 / photo.width, 375 / photo.height) * rng.uniform(1.0, 1.6)
        scaled = photo.resize((max(500, round(photo.width * zoom)), max(375, round(photo.height * zoom))),
                              Image.BICUBIC)
        left = rng.randint(0, scaled.width - 500)
        top = rng.randint(0, scaled.height - 375)
        scaled.crop((left, top, left + 500, top + 375)).save(os.path.join(out, "photo_%03d.jpg" % i), quality=90)


if __name__ == "__main__":
    main()
