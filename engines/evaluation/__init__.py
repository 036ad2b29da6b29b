"""Quality tables: L1, PSNR, SSIM per hole-ratio bin, with Telea as the baseline; face checks with dlib."""
