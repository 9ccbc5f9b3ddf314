/**
 * The Element Plus parts of the wall screen (filter selects, text inputs, messages), in the lazily loaded chunks only:
 * the dark theme's variables, the components' own styles, and the Chinese locale (its default texts are English).
 * ElDialog, ElButton and ElRadio are not used: their code carries documentation URLs (deprecation warnings) that the
 * offline build check refuses; the page has its own modal and buttons.
 */
import 'element-plus/theme-chalk/dark/css-vars.css';
import 'element-plus/es/components/config-provider/style/css';
import 'element-plus/es/components/select/style/css';
import 'element-plus/es/components/option/style/css';
import 'element-plus/es/components/input/style/css';
import 'element-plus/es/components/message/style/css';
import zhCn from 'element-plus/es/locale/lang/zh-cn.mjs';

export { zhCn };
export { ElConfigProvider, ElInput, ElMessage, ElOption, ElSelect } from 'element-plus';
