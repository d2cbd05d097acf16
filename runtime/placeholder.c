/* placeholder */ int cat_placeholder_;
